#! SB651 6:12
clip opening 2s
  A fox wakes.

clip chase 2s
  continue openin
  The fox runs.
