"""The labourer library (劳动力库): registered poor labourers and their employment status."""
