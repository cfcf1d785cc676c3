"""refresher and certificate reminders: placeholder, filled in by the refresher work

Revision ID: b23a0018refr
Revises: b23a0017bull
Create Date: 2026-12-04 08:40:00

"""

revision = "b23a0018refr"
down_revision = "b23a0017bull"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
