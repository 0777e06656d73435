# Lines written without final punctuation, a place whose description is a clause, a label, a possessive.
model wan2.7-t2v
language en
cast fox: a red fox in a trench coat
place square "the square": an empty town square, wet cobblestones, one lit window
clip dawn 10s
  A quiet morning
  shot 3s wide
    @square at dawn
  shot 7s medium
    @fox crosses @square slowly,
    camera: slow push in.
    He stops and looks up
    sfx: a distant bell

clip dusk 5s
  @fox's tail twitches in the wind
  say fox: Home at last.
