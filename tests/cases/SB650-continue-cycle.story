#! SB650 3:12
clip a 2s
  continue b
  A fox wakes.
clip b 2s
  continue a
  The fox runs.
