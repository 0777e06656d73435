#! SB318 5:14
cast fox: a fox
clip a 2s
  shot 2s: @fox talks
    say fox: The case was cold, colder than a fish in winter, and I intended to find out why.
