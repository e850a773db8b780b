"""The application core: views, the open conversation, actions, drafts. No widgets."""
