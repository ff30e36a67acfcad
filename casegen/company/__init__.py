"""The company's half (notice 四（二）2–3; docs/ARCHITECTURE.md): submission packages from the
units, and the store that receives them."""
