"""LAY7xx: layers import downwards only, features through their public names, no import cycles."""
