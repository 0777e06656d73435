#! SB205 4:14
cast fox: a fox
clip a 3s
  @fox meets @wolf
