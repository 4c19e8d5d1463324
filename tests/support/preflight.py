"""What ``mfa-portal check`` reports, for the tiers that run it (integration and deploy)."""

#: The checks it makes without AWS credentials, in the order it prints them; the checks that
#: need credentials (DescribeUserPool, DescribeUserPoolClient) then make one SKIP line instead.
CHECKS_WITHOUT_AWS = [
    "settings",
    "https",
    "discovery",
    "jwks",
    "token endpoint",
    "client secret",
    "callback URL",
    "sign-out URL",
]
AWS_CHECKS = "user pool, app client"
