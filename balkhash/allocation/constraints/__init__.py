"""One builder per constraint family; each documents its equation and returns at once when empty."""
