"""The monthly targets report (任务分解表) and the yearly targets behind it."""
