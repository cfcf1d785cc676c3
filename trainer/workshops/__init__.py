"""Live workshops: join from a phone, phases moved by the trainer, results on the projector.

Transactions: a service owns its transaction. It commits what it did; when it refuses (raises
DomainError) it leaves nothing of the refused request pending: it refuses before it writes, or
it rolls back what it wrote (answering.answer, phases.move_phase). So a view catches DomainError
only to show it, and never rolls back.
"""
