#! SB206 3:6
cast fox: a fox
cast owl: an owl
clip a 3s
  @fox alone
