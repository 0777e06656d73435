# Styles carry no media.
style noir: black and white, hard shadows
  image: refs/street.jpg
clip rain 5s
  @noir rain on an empty street
#! SB620 3:3
