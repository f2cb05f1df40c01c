background = "light grey"

products = {
  mug    = "a speckled ceramic mug with a thumb rest"
  bowl   = "a shallow stoneware bowl with a blue glaze"
  teapot = "a round porcelain teapot with a bamboo handle"
  vase   = "a tall matte-black vase"
}
