#! SB501 3:6
language en
clip a 5s
  A fox runs
