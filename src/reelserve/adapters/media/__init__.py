"""Media adapters: input image intake (Pillow) and, beside it, video encoding."""
