#! SB653 6:3
model wan2.7-t2v
clip opening 2s
  A fox wakes.
clip chase 2s
  continue opening
  The fox runs.
