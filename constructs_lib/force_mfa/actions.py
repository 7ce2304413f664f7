"""What a Force-MFA holder may do before MFA: plain data, read by the Force-MFA policy and by the
SCP that holds exempt IAM users to the same bootstrap (no aws_cdk import)."""

# Actions a user needs, before MFA, to see their own user and enrol a device or fix a password.
SELF_SERVICE_WITHOUT_MFA = (
    "iam:GetUser",
    "iam:ListMFADevices",
    # Enrolling a security key (FIDO) reads the device back (AWS's self-manage-MFA example).
    "iam:GetMFADevice",
    "iam:ListVirtualMFADevices",
    "iam:CreateVirtualMFADevice",
    "iam:EnableMFADevice",
    "iam:ResyncMFADevice",
    "iam:ChangePassword",
    "iam:GetAccountPasswordPolicy",
    "sts:GetSessionToken",
)
# Only ever from a console session: with long-term keys these would enrol an attacker's device.
CONSOLE_ONLY_WITHOUT_MFA = (
    "iam:CreateVirtualMFADevice",
    "iam:EnableMFADevice",
    "iam:ResyncMFADevice",
    "iam:ChangePassword",
)
# The subset of the self-service that targets a user resource: only ever the caller's own user.
SELF_TARGETED_WITHOUT_MFA = (
    "iam:GetUser",
    "iam:ListMFADevices",
    "iam:GetMFADevice",
    "iam:EnableMFADevice",
    "iam:ResyncMFADevice",
    "iam:ChangePassword",
)
