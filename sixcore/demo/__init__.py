"""The demo data generator (示範資料): users, quarterly reports, coordination, the year-end evaluation,
field verifications and supplies, made by ``sixcore demo`` through each app's own services."""
