"""三来三往: seeker lists to partner agencies, post supply lists back, matched and reported."""
