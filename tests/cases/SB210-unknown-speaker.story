#! SB210 5:7
cast fox: a fox
clip a 3s
  @fox talks
  say owl: hello
