"""The scoring policy's numbers in one place, each with the reason it has that value."""

import numpy as np

# Location bands by the deepest common level (index = Level: other province, province,
# prefecture, county, township). Distance moves a pair between its band's floor and ceiling; each
# floor is >= the ceiling of the next level out, so a nearer level never scores below a farther
# one. County seats of one county coincide, so the county and township bands are flat.
LEVEL_FLOOR = np.array([0.05, 0.35, 0.50, 0.85, 1.00], dtype=np.float32)
LEVEL_CEIL = np.array([0.25, 0.50, 0.70, 0.85, 1.00], dtype=np.float32)
LEVEL_BAND = LEVEL_CEIL - LEVEL_FLOOR
# A partner corridor lifts the other-province band, still no higher than the province floor.
CORRIDOR_FLOOR, CORRIDOR_CEIL = np.float32(0.15), np.float32(0.35)

# e-folding distance (km) by Willingness: the readier to move, the slower the fall with distance.
DECAY_KM = np.array([10.0, 25.0, 60.0, 150.0, 600.0], dtype=np.float32)
# Deepest common level each Willingness needs: township, county, prefecture, province, anywhere.
REQUIRED_LEVEL = np.array([4, 3, 2, 1, 0], dtype=np.int8)

NO_SKILLS_REQUIRED = np.float32(0.6)  # general labour: neutral-good, so it still scores
WAGE_NO_EXPECTATION = np.float32(0.7)  # nothing to fall short of, but nothing confirmed either
WAGE_NOT_STATED = np.float32(0.5)
PREF_EXACT = np.float32(1.0)
PREF_GROUP = np.float32(0.6)
PREF_OTHER = np.float32(0.2)
PREF_NONE = np.float32(0.5)  # no preference given, or the post names no occupation
PRIORITY_SANWU = np.float32(0.6)  # 三无 labourer × public-welfare or home-based post
PRIORITY_ZERO_EMPLOYMENT = np.float32(0.4)  # member of a 零就业家庭, toward any post

# Required skills held in the dense (K, N) block; a post's further skills go to an overflow list.
SKILL_PAD = 6
