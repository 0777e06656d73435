"""The models storyc targets, as data: profiles (limits, wire details, prices) in YAML, regions, prices, the `story models` table."""
