#! SB207 3:6
cast fox: a fox
cast fox: another fox
clip a 3s
  @fox alone
