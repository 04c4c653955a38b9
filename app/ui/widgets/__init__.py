"""Small reusable widgets and painting helpers shared by panels and dialogs."""
