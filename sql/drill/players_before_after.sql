-- Each player's season numbers before the game (players) and after it (players2).
SELECT p.id AS playerid, p.name, p.number, p.teamid,
       p.shots AS shots_before, p2.shots AS shots_after, p2.shots - p.shots AS game_shots,
       p.goals AS goals_before, p2.goals AS goals_after, p2.goals - p.goals AS game_goals
FROM mssql.sidearmdb.dbo.players p
JOIN mssql.sidearmdb.dbo.players2 p2 ON p2.id = p.id
ORDER BY game_goals DESC, game_shots DESC, p.id;
