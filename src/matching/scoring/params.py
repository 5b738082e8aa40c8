"""The scoring policy's numbers in one place, each with the reason it has that value."""

import numpy as np

# Location bands by the deepest common level (index = Level: other province, province,
# prefecture, county, township). Distance moves a pair between its band's floor and ceiling; each
# floor is >= the ceiling of the next level out, so a nearer level never scores below a farther
# one. Inside a county, distance counts where townships' seats or posts' own points are known
# (rules.places); where they are not, every point of the county is its seat (distance 0: the
# ceiling, as before such points existed). The township band is flat: same township, next door.
LEVEL_FLOOR = np.array([0.05, 0.35, 0.50, 0.70, 1.00], dtype=np.float32)
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
# Public-welfare and home-based posts are made for 三无 labourers (无法离乡、无业可扶、无力脱贫):
# for them, the post's pay is a subsidy, not a wage to hold against their expectation, and its
# work is taught on the post, so both components score as met; place and type decide the rank.
SANWU_WELFARE_FIT = np.float32(1.0)
# Anyone else gets a public-welfare post only when no 三无 labourer is found (policy: 优先安置
# 三无人员), so the post ranks below a comparable ordinary one: the total is multiplied by this.
WELFARE_FOR_OTHERS = np.float32(0.7)
# A general-labour skill (普工, 小工, 包装 …) is learnt on the job, and a workshop (扶贫车间)
# trains local hires who have no skill: either scores at least as a post with no required skills
# does. (Not a workshop for a labourer with skills: their own trade is the better guide.)
ON_THE_JOB = NO_SKILLS_REQUIRED
PRIORITY_ZERO_EMPLOYMENT = np.float32(0.4)  # member of a 零就业家庭, toward any post

# Required skills held in the dense (K, N) block; a post's further skills go to an overflow list.
SKILL_PAD = 6

# What a search's upper bound of a total (the candidates' or the provinces' pruning) adds, as
# its sums run in another order or precision than the scorer's float32 ones: far above their
# rounding, far below any difference between scores that matters.
BOUND_MARGIN = 1e-4
