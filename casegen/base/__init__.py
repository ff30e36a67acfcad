"""The shared vocabulary: findings and their classes, the rules' declarations, safe writing, collation."""
