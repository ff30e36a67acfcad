"""The company's half (DESIGN.md §9): submission packages from the units, and the store that receives them."""
