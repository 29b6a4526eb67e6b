"""Target adapters: the models and applications redline sends conversations to."""
