cast fox: a fox
clip a 4s
  shot 4s: @fox talks
    say fox: The case was cold, colder than a fish.
