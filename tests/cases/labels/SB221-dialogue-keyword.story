#! SB221 5:3
#! SB221 6:3
cast fox: a red fox
clip a 5s
  sya fox: Who's there?
  Say fox: It's me.
  Later that night: @fox sleeps.
