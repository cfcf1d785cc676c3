"""network: the secretariat's phone and the certificate's issuer

- network.secretariat_phone: printed on the badge front (「確認のお問い合わせ：事務局 …」).
- network.certificate_issuer_title, network.certificate_issuer_name: printed on the certificate
  (e.g. 「みどり市見守りネットワーク協議会 会長」 and the holder of that office).

Existing rows: all three empty (not set), which prints as before: no phone line on the badge,
the network's name as the certificate's issuer.

Revision ID: b21a0013issr
Revises: b20a0012form
Create Date: 2026-12-03 18:00:00

"""

from alembic import op
import sqlalchemy as sa

revision = "b21a0013issr"
down_revision = "b20a0012form"
branch_labels = None
depends_on = None

COLUMNS = (
    ("secretariat_phone", 100),
    ("certificate_issuer_title", 200),
    ("certificate_issuer_name", 100),
)


def upgrade():
    # Plain ADD COLUMN with a constant default, as in 0012: no batch copy of `network`, which
    # nearly every table points at.
    for name, length in COLUMNS:
        op.add_column(
            "network",
            sa.Column(name, sa.String(length=length), server_default="", nullable=False),
        )


def downgrade():
    for name, _length in reversed(COLUMNS):
        op.drop_column("network", name)
