"""The rules several features share, each in one place (docs/architecture.md, "Shared rules").

Below the features and above the data: these modules may read any feature's tables (its
`models`), never a feature's services, routers or presenters, and every feature may import
them. `period` (the days a month's figures are about), `status` (a labourer's status in force
on a day: one, several, or all at once in SQL), `population` (U and the seekers of a day),
`targets` (a region's yearly targets, inherited from its ancestors) and `feedback` (what a
labourer's answers to earlier pushes say).
"""
