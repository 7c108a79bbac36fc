-- The latest box score of the most recently updated game (MongoDB sidearm.boxscores):
-- the game is found from the data, and its latest document is the highest _id.
SELECT b.`_id` AS event_id, b.game, b.`timestamp`, b.period, b.state,
       b.home.name AS home_team, b.home.score AS home_score,
       b.away.name AS away_team, b.away.score AS away_score, b.updated_at
FROM mongo.sidearm.boxscores b
WHERE b.game = (SELECT g.game FROM mongo.sidearm.boxscores g ORDER BY g.updated_at DESC LIMIT 1)
ORDER BY b.`_id` DESC
LIMIT 1;
