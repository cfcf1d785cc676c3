"""Live workshops: join from a phone, phases moved by the trainer, results on the projector."""
