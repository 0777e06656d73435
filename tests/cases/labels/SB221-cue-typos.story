#! SB221 5:3
#! SB221 6:3
#! SB221 9:5
clip a 5s
  camrea: slow push in
  sfxx: rain on glass
  A fox at the window
  shot 5s wide: The street
    musci: a lone saxophone
    Cameo: the owner waves
