-- Every finished game's result (game_teams, written at each final, one row per team),
-- with the names of the team and its opponent: the winner first, then the loser (a tie
-- gives two T rows). The players' lines of a game are in game_players.
SELECT g.game, g.teamid, t.name AS team, g.opponent, o.name AS opponent_name,
       g.score, g.opponent_score, g.result
FROM mssql.sidearmdb.dbo.game_teams g
JOIN mssql.sidearmdb.dbo.teams t ON t.id = g.teamid
JOIN mssql.sidearmdb.dbo.teams o ON o.id = g.opponent
ORDER BY g.game, g.result DESC, g.teamid;
