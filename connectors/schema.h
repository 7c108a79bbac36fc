/*
 * schema.h — the columns of teams/players, which teams2/players2 copy exactly.
 * The same declarations are in sql/schema.sql, from which the seed scripts are made.
 * %s is the table name.
 */
#ifndef CN_SCHEMA_H
#define CN_SCHEMA_H

#define CN_TEAMS_DDL \
    "CREATE TABLE %s (id int PRIMARY KEY, name varchar(50), conference varchar(50), wins int, losses int)"
#define CN_PLAYERS_DDL                                                                                   \
    "CREATE TABLE %s (id int PRIMARY KEY, name varchar(50), number varchar(3), shots int, goals int, " \
    "teamid int REFERENCES %s(id))"
#define CN_TEAMS_COLS "id, name, conference, wins, losses"
#define CN_PLAYERS_COLS "id, name, number, shots, goals, teamid"

#endif
