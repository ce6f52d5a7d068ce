# The VPC of modules/vpc/module.yaml, written as a Terraform user would: the same resources,
# count keys, attributes and tags, so every address matches strata's graph. Comments about the
# design are in the strata module; this file only notes where HCL differs.

variable "cidr" {
  type = string
}

variable "zones" {
  type    = number
  default = 3
}

variable "nat" {
  type    = string
  default = "single"
}

variable "public_subnets" {
  type    = bool
  default = true
}

variable "intra_subnets" {
  type    = bool
  default = false
}

variable "cluster_name" {
  type    = string
  default = ""
}

# strata's `stack.name`; a Terraform module only knows what it is given.
variable "stack_name" {
  type = string
}

# strata's `zones` list: the region's available zones, in name order.
data "aws_availability_zones" "available" {
  state = "available"
}

locals {
  zones     = sort(data.aws_availability_zones.available.names)
  nat_count = var.nat == "per-zone" ? var.zones : (var.nat == "single" ? 1 : 0)
}

resource "aws_vpc" "vpc" {
  cidr_block           = var.cidr
  enable_dns_support   = true
  enable_dns_hostnames = true
  tags = {
    Name = var.stack_name
  }
}

resource "aws_internet_gateway" "igw" {
  count  = var.public_subnets ? 1 : 0
  vpc_id = aws_vpc.vpc.id
  tags = {
    Name = var.stack_name
  }
}

resource "aws_subnet" "public" {
  count                   = var.public_subnets ? var.zones : 0
  vpc_id                  = aws_vpc.vpc.id
  cidr_block              = cidrsubnet(var.cidr, 8, 240 + count.index)
  availability_zone       = local.zones[count.index]
  map_public_ip_on_launch = false
  tags = {
    Name                     = format("%s-public-%s", var.stack_name, local.zones[count.index])
    "kubernetes.io/role/elb" = "1"
  }
}

resource "aws_subnet" "private" {
  count             = var.zones
  vpc_id            = aws_vpc.vpc.id
  cidr_block        = cidrsubnet(var.cidr, 4, count.index)
  availability_zone = local.zones[count.index]
  tags = merge(
    {
      Name                              = format("%s-private-%s", var.stack_name, local.zones[count.index])
      "kubernetes.io/role/internal-elb" = "1"
    },
    var.cluster_name == "" ? {} : { "karpenter.sh/discovery" = var.cluster_name },
  )
}

resource "aws_subnet" "intra" {
  count             = var.intra_subnets ? var.zones : 0
  vpc_id            = aws_vpc.vpc.id
  cidr_block        = cidrsubnet(var.cidr, 8, 224 + count.index)
  availability_zone = local.zones[count.index]
  tags = {
    Name = format("%s-intra-%s", var.stack_name, local.zones[count.index])
  }
}

resource "aws_route_table" "public_routes" {
  count  = var.public_subnets ? 1 : 0
  vpc_id = aws_vpc.vpc.id
  tags = {
    Name = format("%s-public", var.stack_name)
  }
}

resource "aws_route" "public_internet" {
  count                  = var.public_subnets ? 1 : 0
  route_table_id         = aws_route_table.public_routes[0].id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.igw[0].id
}

resource "aws_route_table_association" "public_association" {
  count          = var.public_subnets ? var.zones : 0
  subnet_id      = aws_subnet.public[count.index].id
  route_table_id = aws_route_table.public_routes[0].id
}

resource "aws_eip" "nat_ip" {
  count      = local.nat_count
  depends_on = [aws_internet_gateway.igw]
  domain     = "vpc"
  tags = {
    Name = format("%s-nat-%s", var.stack_name, local.zones[count.index])
  }
}

resource "aws_nat_gateway" "nat" {
  count         = local.nat_count
  depends_on    = [aws_internet_gateway.igw]
  allocation_id = aws_eip.nat_ip[count.index].allocation_id
  subnet_id     = aws_subnet.public[count.index].id
  tags = {
    Name = format("%s-nat-%s", var.stack_name, local.zones[count.index])
  }
}

resource "aws_route_table" "private_routes" {
  count  = local.nat_count
  vpc_id = aws_vpc.vpc.id
  tags = {
    Name = var.nat == "per-zone" ? format("%s-private-%s", var.stack_name, local.zones[count.index]) : format("%s-private", var.stack_name)
  }
}

resource "aws_route" "private_nat" {
  count                  = local.nat_count
  route_table_id         = aws_route_table.private_routes[count.index].id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.nat[count.index].id
}

resource "aws_route_table_association" "private_association" {
  count          = var.nat == "none" ? 0 : var.zones
  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private_routes[var.nat == "per-zone" ? count.index : 0].id
}

resource "aws_route_table" "intra_routes" {
  count  = var.intra_subnets ? 1 : 0
  vpc_id = aws_vpc.vpc.id
  tags = {
    Name = format("%s-intra", var.stack_name)
  }
}

resource "aws_route_table_association" "intra_association" {
  count          = var.intra_subnets ? var.zones : 0
  subnet_id      = aws_subnet.intra[count.index].id
  route_table_id = aws_route_table.intra_routes[0].id
}

output "vpc_id" {
  value = aws_vpc.vpc.id
}

output "vpc_cidr" {
  value = aws_vpc.vpc.cidr_block
}

output "public_subnet_ids" {
  value = aws_subnet.public[*].id
}

output "private_subnet_ids" {
  value = aws_subnet.private[*].id
}

output "intra_subnet_ids" {
  value = aws_subnet.intra[*].id
}

output "nat_public_ips" {
  value = aws_eip.nat_ip[*].public_ip
}
