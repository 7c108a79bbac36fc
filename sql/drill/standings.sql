-- Team and player standings after the game: teams2 joined with players2 (SQL Server).
SELECT t.id AS teamid, t.name AS team, t.conference, t.wins, t.losses,
       p.id AS playerid, p.name AS player, p.number, p.shots, p.goals,
       CASE WHEN p.shots = 0 THEN 0 ELSE ROUND(CAST(p.goals AS DOUBLE) / p.shots, 2) END AS pct
FROM mssql.sidearmdb.dbo.teams2 t
JOIN mssql.sidearmdb.dbo.players2 p ON p.teamid = t.id
ORDER BY t.conference, t.wins DESC, t.losses, p.goals DESC, p.id;
