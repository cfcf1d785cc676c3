"""page indexes: the completion status's per-member probes answered from an index alone

- ix_attempt_member_course (member_id, course_id, phase, status, awaiting_confirmation)
- ix_certificate_member_course (member_id, course_id, network_id, revoked_at,
  awaiting_confirmation, valid_until)

The secretariat's completion pages decide each member's status with EXISTS tests of that
member's attempts and certificates (trainer/secretariat/completion_status.py); with these
covering indexes a test reads no table row. No data changes.

Revision ID: 0020_page_indexes
Revises: 0019_prefecture
Create Date: 2026-12-04 18:40:00

"""

from alembic import op

revision = "0020_page_indexes"
down_revision = "0019_prefecture"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_attempt_member_course",
        "attempt",
        ["member_id", "course_id", "phase", "status", "awaiting_confirmation"],
    )
    op.create_index(
        "ix_certificate_member_course",
        "certificate",
        ["member_id", "course_id", "network_id", "revoked_at", "awaiting_confirmation", "valid_until"],
    )


def downgrade():
    op.drop_index("ix_certificate_member_course", table_name="certificate")
    op.drop_index("ix_attempt_member_course", table_name="attempt")
