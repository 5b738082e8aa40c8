"""The push ledger (岗位推送): every post pushed to a labourer and what became of it."""
