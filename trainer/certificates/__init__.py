"""Certificates (修了証) and member badges (構成員証): issue, verify, revoke, print."""
