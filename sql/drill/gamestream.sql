-- The raw game stream in MinIO as a table with named columns (space-separated text).
SELECT CAST(s.columns[0] AS INT) AS event_id,
       s.columns[1] AS clock,
       CAST(s.columns[2] AS INT) AS team_id,
       CAST(s.columns[3] AS INT) AS jersey,
       CAST(s.columns[4] AS INT) AS goal
FROM minio.root.`gamestream.txt` s;
