#! SB318 4:12
cast mei: a girl
clip a 2s
  say mei: 我們一起把燈籠點亮吧好不好呢
  @mei smiles
