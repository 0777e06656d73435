#! SB652 22:12
#! SB653 10:3
#! SB653 13:3
#! SB653 16:3
#! SB653 19:3
#! SB653 22:3
clip c1 2s
  A fox wakes.
clip c2 2s
  continue c1
  The fox runs on.
clip c3 2s
  continue c2
  The fox runs on.
clip c4 2s
  continue c3
  The fox runs on.
clip c5 2s
  continue c4
  The fox runs on.
clip c6 2s
  continue c5
  The fox runs on.
