"""The model: typed records of an inventory (sites, services, referrals, areas), the taxonomy,
errors and the clock. Imports nothing of ours but `pathways.i18n`'s words; every layer reads it."""
