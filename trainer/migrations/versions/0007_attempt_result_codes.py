"""attempt result codes: each submitted attempt's answers in one line, for the statistics

Writes the two strings (trainer/quizzes/result_codes.py) for the attempts submitted before this
revision, reading their answers. Plain ADD COLUMN rather than batch mode, which on SQLite would
rebuild attempt, a table other rows refer to (see 0005).

Revision ID: c7c41af37692
Revises: fcc112078640
Create Date: 2026-11-23 17:57:04.552068

"""

from alembic import op
import sqlalchemy as sa

from trainer.quizzes.result_codes import encode


# revision identifiers, used by Alembic.
revision = "c7c41af37692"
down_revision = "fcc112078640"
branch_labels = None
depends_on = None

attempt = sa.table(
    "attempt",
    sa.column("id", sa.Integer),
    sa.column("status", sa.String),
    sa.column("question_ids", sa.JSON),
    sa.column("result_layout", sa.Text),
    sa.column("result_codes", sa.Text),
)
question = sa.table(
    "quiz_question",
    sa.column("id", sa.Integer),
    sa.column("type", sa.String),
    sa.column("body", sa.JSON),
)
answer = sa.table(
    "answer",
    sa.column("attempt_id", sa.Integer),
    sa.column("question_id", sa.Integer),
    sa.column("fully_right", sa.Boolean),
    sa.column("value", sa.JSON),
)
BATCH = 2000


def upgrade():
    op.add_column("attempt", sa.Column("result_layout", sa.Text(), nullable=True))
    op.add_column("attempt", sa.Column("result_codes", sa.Text(), nullable=True))

    connection = op.get_bind()
    questions = {
        row.id: (row.type, row.body)
        for row in connection.execute(sa.select(question.c.id, question.c.type, question.c.body))
    }
    after = 0
    while True:
        attempts = connection.execute(
            sa.select(attempt.c.id, attempt.c.question_ids)
            .where(attempt.c.status == "submitted", attempt.c.id > after)
            .order_by(attempt.c.id)
            .limit(BATCH)
        ).all()
        if not attempts:
            break
        after = attempts[-1].id
        answers: dict[int, dict[int, tuple[bool, object]]] = {a.id: {} for a in attempts}
        for row in connection.execute(
            sa.select(answer).where(answer.c.attempt_id.in_(list(answers)))
        ):
            answers[row.attempt_id][row.question_id] = (bool(row.fully_right), row.value)
        updates = []
        for a in attempts:
            asked = {qid: questions[qid] for qid in (a.question_ids or [])}
            layout, codes = encode(asked, answers[a.id])
            updates.append({"attempt_id": a.id, "layout": layout, "codes": codes})
        connection.execute(
            attempt.update()
            .where(attempt.c.id == sa.bindparam("attempt_id"))
            .values(result_layout=sa.bindparam("layout"), result_codes=sa.bindparam("codes")),
            updates,
        )


def downgrade():
    op.drop_column("attempt", "result_codes")
    op.drop_column("attempt", "result_layout")
