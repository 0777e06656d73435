# Three clips of a chain that the SB652 case beside it goes on with (not a case itself).
model wan3.0-video
resolution 720P
clip c1 5s
  The fox wakes.
clip c2 5s
  continue c1
  The fox stretches.
clip c3 5s
  continue c2
  The fox runs.
